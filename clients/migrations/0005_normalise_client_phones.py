"""Client phone numbers stored as the caller screen-pop matches them: digits only, without +86."""

from django.db import migrations

from clients.identity import normalise_phone


def normalise(apps, schema_editor):
    Client = apps.get_model("clients", "Client")
    odd = Client.objects.exclude(phone__regex=r"^[0-9]*$") | Client.objects.exclude(phone_alt__regex=r"^[0-9]*$")
    batch = []
    for client in odd.only("pk", "phone", "phone_alt").iterator(chunk_size=2000):
        client.phone, client.phone_alt = normalise_phone(client.phone), normalise_phone(client.phone_alt)
        batch.append(client)
        if len(batch) == 2000:
            Client.objects.bulk_update(batch, ["phone", "phone_alt"])
            batch = []
    Client.objects.bulk_update(batch, ["phone", "phone_alt"])


class Migration(migrations.Migration):

    dependencies = [
        ("clients", "0004_settlement_natural_primary_key"),
    ]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
