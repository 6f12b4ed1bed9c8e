# The gateway stand-in and the page login of the service tests serve here too.
from tests.service.conftest import page  # noqa: F401
from tests.service.test_care import SENT, gateway  # noqa: F401
