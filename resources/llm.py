"""The classifier behind spec section 3 step 4: Claude when configured with a key, else the offline one."""

from __future__ import annotations

from dagster import ConfigurableResource

from billing_assets.core.classifier_api import Classifier

DEFAULT_MODEL = "claude-haiku-5-5"


class ClassifierResource(ConfigurableResource):
    """`kind`: auto (Claude when an API key is set, else offline) | offline | claude."""

    kind: str = "auto"
    api_key: str | None = None
    base_url: str | None = None
    model: str = DEFAULT_MODEL
    batch_size: int = 40
    max_concurrency: int = 4
    use_batches: bool = False

    @property
    def effective_kind(self) -> str:
        if self.kind == "auto":
            return "claude" if self.api_key else "offline"
        if self.kind not in ("offline", "claude"):
            raise ValueError(f"BILLING_CLASSIFIER must be auto, offline or claude, got {self.kind!r}")
        return self.kind

    def build(self) -> Classifier:
        """A ready classifier. Claude without a key is a configuration error, not a silent fallback."""
        if self.effective_kind == "offline":
            from billing_assets.core.offline_classifier import OfflineClassifier

            return OfflineClassifier()
        if not self.api_key:
            raise ValueError("BILLING_CLASSIFIER=claude needs ANTHROPIC_API_KEY")
        from resources.claude_classifier import ClaudeClassifier

        return ClaudeClassifier(api_key=self.api_key, base_url=self.base_url, model=self.model,
                                batch_size=self.batch_size, max_concurrency=self.max_concurrency,
                                use_batches=self.use_batches)
