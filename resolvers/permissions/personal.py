"""What belongs to one user alone: their private profile fields and their notifications."""

from db.models import Notification


def is_self(viewer_id: int | None, user_id: int) -> bool:
    """Whether the viewer is this user (who alone sees their email and chosen status)."""
    return viewer_id is not None and viewer_id == user_id


def owns_notification(notification: Notification, user_id: int) -> bool:
    """Notifications are their recipient's alone; anyone else is told NOT_FOUND."""
    return notification.user_id == user_id
