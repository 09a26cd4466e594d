"""Payment gateways, webhooks and the double-entry ledger of all money."""
