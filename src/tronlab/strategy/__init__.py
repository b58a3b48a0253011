"""The strategy API (version 1): everything a strategy author imports comes from here.

.. code-block:: python

    from tronlab.strategy import Bar, Context, Param, Strategy
    from tronlab.features import SMA

    class MyStrategy(Strategy):
        name = "my_strategy"
        fast = Param(int, 10, low=2, high=100, doc="fast SMA length")

        def on_start(self, ctx: Context) -> None:
            self.sma = ctx.indicator(ctx.symbols[0], SMA(self.fast))

        def on_bar(self, ctx: Context, bar: Bar) -> None:
            if self.sma.ready and bar.close > self.sma.value and ctx.quantity(bar.symbol) == 0:
                ctx.buy(bar.symbol, 1, rationale="close above SMA", confidence=0.6)

Hooks: ``on_start``, ``on_bar``, ``on_fill``, ``on_order_event``, ``on_stop``. Every order call
takes a ``rationale`` and a ``confidence`` in [0, 1]; both are stored with the order.

Multi-leg option orders are built with :func:`straddle`, :func:`strangle`, :func:`vertical`
or :func:`iron_condor` (or as a :class:`MultiLegIntent` by hand) and sent with
``ctx.submit_legs``: all legs are accepted or none.
"""

from tronlab.execution.combos import ComboError, iron_condor, straddle, strangle, vertical
from tronlab.execution.intents import ComboKind, IntentError, MultiLegIntent, OrderIntent
from tronlab.strategy.bars import Bar, History
from tronlab.strategy.base import INTERFACE_VERSION, Context, Indicator, Strategy
from tronlab.strategy.params import Param, ParamError, declared_params, parse_assignments
from tronlab.strategy.registry import available_strategies, get_strategy, register

__all__ = [
    "INTERFACE_VERSION",
    "Bar",
    "ComboError",
    "ComboKind",
    "Context",
    "History",
    "Indicator",
    "IntentError",
    "MultiLegIntent",
    "OrderIntent",
    "Param",
    "ParamError",
    "Strategy",
    "available_strategies",
    "declared_params",
    "get_strategy",
    "iron_condor",
    "parse_assignments",
    "register",
    "straddle",
    "strangle",
    "vertical",
]
