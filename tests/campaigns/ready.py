"""What a US telemarketing campaign must declare before it may start (``compliance``
settings; campaigns.compliance_settings.dialing_problems): the seller, a do-not-call number
and what the abandoned-call message says."""

DECLARED = {"seller_name": "Acme Solar", "dnc_number": "+18005550100",
            "safe_harbor": {"states_telemarketing_purpose": True, "names_seller": True,
                            "gives_dnc_number": True}}
STARTABLE = {"caller_ids": ["+12015550100"], "compliance": DECLARED}
