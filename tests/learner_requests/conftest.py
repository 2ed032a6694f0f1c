from tests.learner_requests.support import outbox

__all__ = ["outbox"]
