"""Bad input, said once in Chinese and shown in the reader's language.

The message is a Chinese msgid with ``{named}`` fields; the page shows it in the visitor's
language, the API's ``detail`` in English (from ``app/i18n/en.po``).
"""

from __future__ import annotations

from app import i18n


class InvalidInput(ValueError):
    def __init__(self, message: str, **fields: object) -> None:
        self.message = message
        self.fields = fields
        super().__init__(self.in_language("en"))

    def in_language(self, language: str) -> str:
        with i18n.language(language):
            return self.localized()

    def localized(self) -> str:
        # Fields that are labels from the catalogue (a status, a role) follow the language too.
        fields = {k: i18n.gettext(v) if isinstance(v, str) and v else v for k, v in self.fields.items()}
        return i18n.gettext(self.message).format(**fields)
