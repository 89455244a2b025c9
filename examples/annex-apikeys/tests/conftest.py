import pytest


@pytest.fixture
def annex_plugins():
    """The plugins of the test app: auth owns accounts; profile and content are routes that never
    heard of API keys; then this plugin."""
    return ["auth", "profile", "content", "apikeys"]


@pytest.fixture
def app(annex_app):
    """pytest-flask's ``app``, ``client`` and ``runner`` fixtures use Annex's test app."""
    return annex_app
