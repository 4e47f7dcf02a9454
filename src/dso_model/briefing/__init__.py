"""The credit manager's briefing: one self-contained HTML file per scoring run.

Portfolio figures, the DSO trend, the profile groups and their migrations, the drivers of late
payment and the worklist (sortable and filterable in the browser, no server needed). Charts are
embedded as images and the styles and script are inline, so the file can be mailed or archived.
"""

from dso_model.briefing.data import WORKLIST_COLUMNS, BriefingData, worklist_view
from dso_model.briefing.render import render_briefing, write_briefing

__all__ = [
    "WORKLIST_COLUMNS",
    "BriefingData",
    "render_briefing",
    "worklist_view",
    "write_briefing",
]
