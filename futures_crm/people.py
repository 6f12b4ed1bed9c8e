"""How a person is named on pages, exports and the API when the person, or their staff profile, may be missing.

On pages staff read "姓名 (工号)" (`label`), never a login name unless the user has no staff profile.

A record's owner, actor or author can be nobody (a queue, the system, a deleted user), and a superuser made
with `createsuperuser` has no staff profile: these helpers never fail on either.
"""

from django.core.exceptions import ObjectDoesNotExist

NOBODY = "—"


def staff_profile(user):
    """The user's staff profile, or None (no user, or a user without one)."""
    if user is None:
        return None
    try:
        return user.staff_profile
    except (ObjectDoesNotExist, AttributeError):
        return None


def display_name(user, default: str = NOBODY) -> str:
    """The staff profile's display name, else the user name, else `default`."""
    if user is None or user == "":
        return default
    profile = staff_profile(user)
    return (profile.display_name if profile is not None else "") or user.get_username() or default


def employee_code(user, default: str = "") -> str:
    """The staff profile's employee code, else `default`."""
    profile = staff_profile(user)
    return profile.employee_code if profile is not None and profile.employee_code else default


def label(user, default: str = NOBODY) -> str:
    """"Display name (employee code)" as pages show staff; a user without a staff profile by user name."""
    code = employee_code(user)
    name = display_name(user, default)
    return f"{name} ({code})" if code else name
