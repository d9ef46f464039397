"""What belongs to one user alone: their private profile fields, their notifications and
their sessions."""

from db.models import DeviceSession, Notification


def is_self(viewer_id: int | None, user_id: int) -> bool:
    """Whether the viewer is this user (who alone sees their email and chosen status)."""
    return viewer_id is not None and viewer_id == user_id


def owns_notification(notification: Notification, user_id: int) -> bool:
    """Notifications are their recipient's alone; anyone else is told NOT_FOUND."""
    return notification.user_id == user_id


def owns_session(device: DeviceSession, user_id: int) -> bool:
    """A session is its user's alone to list or end; anyone else is told NOT_FOUND."""
    return device.user_id == user_id
