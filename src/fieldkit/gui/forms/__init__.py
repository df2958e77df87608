"""Forms on screen: the form renderer, the record editor and the record viewer.

The renderer builds widgets from a form definition; validation, relevance and normalisation come
from :mod:`fieldkit.domain`. The editor saves drafts as the user types and seals them; the viewer
shows the newest sealed revision and the revision history. Identifying answers stay masked until
the user reveals them, and nothing here logs or shows record content outside the form itself.
"""

from __future__ import annotations

from fieldkit.gui.forms.editor import RecordEditor
from fieldkit.gui.forms.renderer import FormRenderer
from fieldkit.gui.forms.viewer import RecordViewer

__all__ = ["FormRenderer", "RecordEditor", "RecordViewer"]
