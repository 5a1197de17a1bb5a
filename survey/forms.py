"""The base of every form: Flask-WTF with WTForms' own messages translated by our catalogues.

WTForms ships no Vietnamese catalogue, so its built-in messages ("This field is required.")
are translated in ``translations/core`` like the rest of the interface.
"""
from flask_babel import get_translations, gettext
from flask_wtf import FlaskForm


class _CatalogueTranslations:
    """WTForms' translations interface, answered by Flask-Babel."""

    def gettext(self, string: str) -> str:
        return gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        # Not Flask-Babel's ngettext: it would fill in "%(num)s" at once, and WTForms' own
        # messages ("longer than %(max)d characters") are filled in by WTForms afterwards.
        return get_translations().ngettext(singular, plural, n)


class Form(FlaskForm):
    """A CSRF-protected form whose validation messages follow the person's language."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return _CatalogueTranslations()
