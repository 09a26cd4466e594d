default_app_config = "marketplace.partner.apps.PartnerConfig"
