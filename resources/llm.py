"""The classifier behind spec section 3 step 4: one resource class per variant, chosen by the environment.

`OfflineClassifierResource` (no key) and `ClaudeClassifierResource` (the API key as an `EnvVar`; by default the
cascade: the offline classifier decides what it is sure of, Claude the rest).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from dagster import ConfigurableResource, EnvVar

from billing_assets.core.classifier_api import Classifier, classifier_kind

DEFAULT_MODEL = "claude-haiku-5-5"


class ClassifierResource(ConfigurableResource):
    """The classifier an asset asks; subclasses build one variant."""

    def build(self) -> Classifier:
        raise NotImplementedError


class OfflineClassifierResource(ClassifierResource):
    """The offline classifier (no key, no network)."""

    def build(self) -> Classifier:
        from billing_assets.core.offline_classifier import OfflineClassifier

        return OfflineClassifier()


class ClaudeClassifierResource(ClassifierResource):
    """Claude through the anthropic SDK; `cascade` puts the offline classifier first."""

    api_key: str
    base_url: str | None = None
    model: str = DEFAULT_MODEL
    batch_size: int = 40
    max_concurrency: int = 4
    use_batches: bool = False
    cascade: bool = True

    def build(self) -> Classifier:
        from billing_assets.core.cascade import CascadeClassifier
        from billing_assets.core.offline_classifier import OfflineClassifier
        from resources.claude_classifier import ClaudeClassifier

        claude = ClaudeClassifier(api_key=self.api_key, base_url=self.base_url, model=self.model,
                                  batch_size=self.batch_size, max_concurrency=self.max_concurrency,
                                  use_batches=self.use_batches)
        return CascadeClassifier(OfflineClassifier(), claude) if self.cascade else claude


def classifier_from_env(env: Mapping[str, str] | None = None) -> ClassifierResource:
    """BILLING_CLASSIFIER: auto (the cascade when ANTHROPIC_API_KEY is set, else offline) | offline | cascade |
    claude (Claude for every undecided entry). Claude without a key is a configuration error."""
    env = os.environ if env is None else env
    kind = classifier_kind(env)
    if kind == "offline" or (kind == "auto" and not env.get("ANTHROPIC_API_KEY")):
        return OfflineClassifierResource()
    return ClaudeClassifierResource(api_key=EnvVar("ANTHROPIC_API_KEY"), base_url=env.get("ANTHROPIC_BASE_URL"),
                                    model=env.get("BILLING_CLAUDE_MODEL", DEFAULT_MODEL),
                                    use_batches=env.get("BILLING_CLAUDE_BATCHES", "") == "1",
                                    cascade=kind != "claude")


def claude_connection(env: Mapping[str, str] | None = None) -> tuple[str | None, str | None, str]:
    """(api key, base URL, model) from ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL (None: the SDK default) and
    BILLING_CLAUDE_MODEL: the settings every Claude caller uses (the classifier above, `billing contract draft`)."""
    env = os.environ if env is None else env
    return (env.get("ANTHROPIC_API_KEY") or None, env.get("ANTHROPIC_BASE_URL") or None,
            env.get("BILLING_CLAUDE_MODEL", DEFAULT_MODEL) or DEFAULT_MODEL)
