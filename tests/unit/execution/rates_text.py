"""A minimal cost-rates file (one Zerodha and one Alpaca period) for the rate-table tests."""

MINIMAL = """
schema: 1
zerodha:
  - effective_from: 2024-10-01
    brokerage:
      equity_delivery: {rate: "0%", max_per_order: "0"}
      equity_intraday: {rate: "0.03%", max_per_order: "20"}
      futures: {rate: "0.03%", max_per_order: "20"}
      options: {flat_per_order: "20"}
    stt:
      equity_delivery: {buy: "0.1%", sell: "0.1%"}
      equity_intraday: {buy: "0%", sell: "0.025%"}
      futures: {buy: "0%", sell: "0.02%"}
      options: {buy: "0%", sell: "0.1%"}
    exchange_txn:
      NSE: {equity: "0.00297%"}
      NFO: {futures: "0.00173%", options: "0.03503%"}
    sebi: "0.0001%"
    gst: {rate: "18%", applies_to: [brokerage, exchange_txn, sebi]}
    stamp: {equity_delivery: "0.015%", equity_intraday: "0.003%", futures: "0.002%",
            options: "0.003%"}
alpaca:
  - effective_from: 2025-05-14
    sec_fee_per_million: "0.00"
    finra_taf: {per_share: "0.000166", max_per_trade: "8.30"}
    cat_per_share: "0"
"""
