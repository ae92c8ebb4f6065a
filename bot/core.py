"""Everything an adapter needs from the core, built once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from bot.actions import Actions
from bot.clock import Clock, SystemClock
from bot.db import Database
from bot.debriefs import Debriefs
from bot.links import Links
from bot.notes import Notes
from bot.officers import Officers
from bot.results import Results
from bot.scripts import Library, ResourceSet
from bot.settings import Settings, SettingsError, parse_schedule
from bot.support import Support
from bot.tallies import Tallies
from bot.wellbeing import Wellbeing


@dataclass
class Core:
    settings: Settings
    database: Database
    library: Library
    debriefs: Debriefs
    results: Results
    clock: Clock

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None, database: Database | None = None) -> Core:
        """Wire the services from settings; no I/O happens here."""
        clock = clock or SystemClock()
        database = database or Database(settings.database_url)
        library = Library.load(settings.debrief_scripts_dir)
        return cls(
            settings=settings,
            database=database,
            library=library,
            debriefs=Debriefs(database, library, settings, clock),
            results=Results(database, library, settings.debrief_min_group, settings.debrief_team_distress),
            clock=clock,
        )

    @cached_property
    def actions(self) -> Actions:
        """Action points to closure (`bot.actions`): done, dropped, handed on, reminded."""
        return Actions(self.database, self.settings, self.clock)

    @cached_property
    def support(self) -> Support:
        """Support requests; adapters add their messenger to `support.messengers` when they mount."""
        return Support(self.database, self.settings, self.officers, clock=self.clock)

    @property
    def resources(self) -> ResourceSet:
        """The support resources for the configured region (DEBRIEF_RESOURCES; unset: the international set)."""
        try:
            return self.library.resources_for(self.settings.resources_region)
        except KeyError:
            known = ", ".join(sorted(self.library.resource_sets))
            raise SettingsError(
                f"DEBRIEF_RESOURCES: {self.settings.resources_region!r} is neither a region ({known}) "
                "nor a resource file (.yml) that exists"
            ) from None

    @cached_property
    def notes(self) -> Notes:
        """The notes written for the wellbeing team, for officers (`bot.notes`)."""
        return Notes(self.database, self.library, self.settings, self.officers, self.clock)

    @cached_property
    def tallies(self) -> Tallies:
        """Key expiry and the officers' tallies of debriefs whose answers have closed."""
        return Tallies(self.database, self.clock)

    @cached_property
    def wellbeing(self) -> Wellbeing:
        """The officers' report: 7, 30 and 90 days, per team, suppressed."""
        reminders = parse_schedule(self.settings.debrief_action_reminders)
        return Wellbeing(self.database, self.settings.debrief_min_group, reminders[-1] if reminders else None)

    @cached_property
    def links(self) -> Links:
        """Signed, expiring links to the officers' charts and export (DEBRIEF_PUBLIC_URL)."""
        return Links(self.settings.receipt_secret(), self.clock, self.settings.debrief_public_url)

    @cached_property
    def officers(self) -> Officers:
        """Wellbeing officers: DEBRIEF_WELLBEING_OFFICERS plus those added by an officer."""
        return Officers(self.database, self.settings, self.clock)

