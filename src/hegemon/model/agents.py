"""The actors: external powers and local states, each a Mesa agent whose state is a numpy
array over the replicates that run in lockstep (shape ``(R,)``).

Each agent is composed of the parts of the submodels it takes part in; every rule lives in
the file of its submodel (economy.py, influence.py, trust.py, alliances.py, peacekeeping.py).
Every method reads like scalar code; ``np.where`` and masks stand in for branches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from hegemon.model.alliances import Patron
from hegemon.model.economy import Economy, RegionalBudget
from hegemon.model.influence import Contested, Influencer
from hegemon.model.parameters import LocalStateParams, PowerParams
from hegemon.model.peacekeeping import Sponsor
from hegemon.model.trust import Credibility, Trust

if TYPE_CHECKING:
    from hegemon.model.model import HegemonModel
    from hegemon.scenario import schema as sc


class Power(Economy, RegionalBudget, Patron, Sponsor, Influencer, Credibility, mesa.Agent):
    """An external power. Rule: spend a share of the military budget on the region; pay for
    peacekeeping and arms first, spend the rest on influence; honour a commitment with
    probability ``resolve``. Its credibility is the posterior mean of its honour rate."""

    model: HegemonModel
    params: PowerParams

    def __init__(self, model: HegemonModel, spec: sc.Power):
        super().__init__(model)
        self.name = spec.name
        self.params = PowerParams.draw(spec, model.draws)
        self.init_economy()
        self.init_budget()
        self.init_influence()
        self.init_record()


class LocalState(Economy, Trust, Contested, mesa.Agent):
    """A local state. Rule: its trust in each power reverts toward its affinity scaled by the
    power's credibility, rises with help delivered and honoured pledges, falls with broken
    pledges and defeats under the power's protection; powers' influence over it is a Tullock
    contest of trust-weighted effort against its own autonomy."""

    model: HegemonModel
    params: LocalStateParams

    def __init__(self, model: HegemonModel, spec: sc.LocalState):
        super().__init__(model)
        self.name = spec.name
        self.params = LocalStateParams.draw(spec, model.draws)
        self.init_economy()
        self.init_trust()
        self.init_contest()
