"""Generated texts in the API (futures_crm.texts): the field keeps its name and holds the text in the
requester's language (Accept-Language); `<name>_code` and `<name>_params` beside it are what integrators
can rely on (an empty code: a text typed by a person, or older than the codes)."""

from futures_crm import texts


class GeneratedTextsMixin:
    """For a ModelSerializer whose model stores `<name>`, `<name>_code`, `<name>_params` for each name in
    `generated_texts` (list the code and params fields in Meta.fields, read only)."""

    generated_texts: tuple[str, ...] = ()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for name in self.generated_texts:
            if name in data:
                data[name] = texts.shown(instance, name)
        return data
