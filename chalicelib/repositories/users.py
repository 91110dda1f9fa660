"""Users, their login names and memberships."""

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from ..models import LoginName, Membership, User
from .dynamo import cancel_reasons, conditional, connection

# A user id that never exists: unknown logins do the same reads as known ones.
MISSING_USER_ID = "~missing"


def user_id_for_login(login_key: str) -> str | None:
    try:
        return LoginName.get(login_key).user_id
    except LoginName.DoesNotExist:
        return None


def get_user(user_id: str) -> User | None:
    try:
        return User.get(user_id)
    except User.DoesNotExist:
        return None


def memberships_in_company(user_id: str, company_id: str) -> list[Membership]:
    return list(Membership.query(user_id, Membership.account_pk.startswith(f"{company_id}#")))


def memberships(user_id: str) -> list[Membership]:
    return list(Membership.query(user_id))


class LoginTaken(Exception):
    """A login name (or the user id) is taken already: nothing was written."""


def create_user(user: User, login_keys: list[str]) -> None:
    """Create the user and claim its login names atomically (names are unique);
    LoginTaken when one is taken."""
    try:
        with TransactWrite(connection=connection(User)) as tx:
            tx.save(user, condition=User.user_id.does_not_exist())
            for key in login_keys:
                login = LoginName(key, user_id=user.user_id)
                tx.save(login, condition=LoginName.login.does_not_exist())
    except TransactWriteError as error:
        if cancel_reasons(error) is None:  # failed for another reason than a condition
            raise
        raise LoginTaken(", ".join(login_keys)) from error


def claim_login_name(login_key: str, user_id: str) -> bool:
    """One more login name for a user; False when it is taken."""
    return conditional(LoginName(login_key, user_id=user_id).save, condition=LoginName.login.does_not_exist())


def save_membership(membership: Membership) -> None:
    membership.save()


def set_password(
    user: User, password_hash: str, changed_at, must_change: bool = False, generated_expires_at=None
) -> None:
    user.update(
        actions=[
            User.password_hash.set(password_hash),
            User.password_changed_at.set(changed_at),
            User.must_change_password.set(must_change),
            (
                User.generated_password_expires_at.set(generated_expires_at)
                if generated_expires_at
                else User.generated_password_expires_at.remove()
            ),
            User.device_epoch.add(1),  # a new password: no device stays remembered
        ]
    )


def update_password_hash(user: User, password_hash: str) -> None:
    """Re-hash with stronger parameters (same password)."""
    user.update(actions=[User.password_hash.set(password_hash)])


def add_admin_companies(user: User, company_ids: set, name=None) -> None:
    """Make an existing user administrator of more companies (set ADD: no lost update)."""
    actions: list[Action] = [User.admin_company_ids.add(company_ids)]
    if name and not user.name:
        actions.append(User.name.set(name))
    user.update(actions=actions)


def create_generated_login(user: User, login_key: str, membership: Membership) -> None:
    """A generated first login: user, its user name and its membership, all or nothing.

    Fails (TransactWriteError) when the user name is already taken.
    """
    with TransactWrite(connection=connection(User)) as tx:
        tx.save(user, condition=User.user_id.does_not_exist())
        tx.save(LoginName(login_key, user_id=user.user_id), condition=LoginName.login.does_not_exist())
        tx.save(membership)


def get_membership_by_pk(user_id: str, pk: str) -> Membership | None:
    try:
        return Membership.get(user_id, pk)
    except Membership.DoesNotExist:
        return None


def set_membership_status(membership: Membership, status: str, **changes) -> None:
    actions: list[Action] = [Membership.status.set(status)]
    for name, value in changes.items():
        attribute = getattr(Membership, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    membership.update(actions=actions)


def update_user(user: User, **changes) -> None:
    actions = []
    for name, value in changes.items():
        attribute = getattr(User, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    user.update(actions=actions)


def identifiers(user: User) -> list[str]:
    """What identifies this login to a guesser: its e-mail address, and the number and
    user name of every account it belongs to (one Query, one BatchGetItem)."""
    from ..models import WebAccess

    found = [user.email] if user.email else []
    pks = [m.account_pk for m in memberships(user.user_id)]
    found += [pk.split("#", 1)[1] for pk in pks]
    found += [web.user_name for web in WebAccess.batch_get(pks) if web.user_name] if pks else []
    return found


def remember_device(user: User, device_key: str, forget_others: bool = False) -> None:
    """Add a device to the login's known devices (set ADD: no lost update); `forget_others`
    starts the set again so it stays small."""
    if forget_others:
        user.update(actions=[User.known_devices.set({device_key})])
    else:
        user.update(actions=[User.known_devices.add({device_key})])
