"""The trigger sequences that take each seed transfer through its whole lifecycle."""

BASE_TO_READY = [
    ("approve", None), ("advise_unions", None), ("record_measures", None),
    ("inform_representatives", None), ("notify_employees", None), ("send_eli", None),
]
BASE_AFTER = [("conclude_consultation", None), ("confirm_pensions", None),
              ("confirm_readiness", None)]

LD_TO_NCT = [
    ("approve", "2022-09-07"), ("advise_unions", "2022-09-12"),
    ("record_measures", "2022-09-14"), ("inform_representatives", "2022-09-16"),
    ("notify_employees", "2022-09-23"), ("send_eli", "2022-10-03"),
    ("agree_change_control", "2022-10-10"), ("conclude_consultation", "2022-10-21"),
    ("confirm_pensions", "2022-10-24"), ("confirm_readiness", "2022-10-26"),
    ("agree_revised_sla", "2022-10-28"), ("go_live", "2022-11-01"),
    ("confirm_employment", "2022-11-10"), ("close", "2022-12-12"),
]

SEND_IASS = [
    ("approve", "2022-10-26"), ("advise_unions", "2022-11-01"),
    ("record_measures", "2023-01-20"), ("inform_representatives", "2023-02-01"),
    ("notify_employees", "2023-02-10"), ("complete_dpia", "2023-02-20"),
    ("send_eli", "2023-03-01"), ("agree_deed_of_variation", "2023-03-15"),
    ("agree_plans", "2023-03-16"), ("conclude_consultation", "2023-03-20"),
    ("confirm_pensions", "2023-03-21"), ("confirm_readiness", "2023-03-28"),
    ("go_live", "2023-04-01"), ("confirm_employment", "2023-04-20"), ("close", "2023-05-15"),
]

SCHOOL_TRANSFER = [
    ("approve", "2023-01-18"), ("advise_unions", "2023-04-03"),
    ("record_measures", "2023-06-01"), ("inform_representatives", "2023-06-12"),
    ("notify_employees", "2023-06-20"), ("send_eli", "2023-07-28"),
    ("conclude_consultation", "2023-07-31"), ("confirm_pensions", "2023-08-10"),
    ("confirm_readiness", "2023-08-25"), ("go_live", "2023-09-01"),
]
SCHOOL_NO_CHANGE = [("confirm_no_change", "2023-07-31")]

ACSW_PROGRAMME_BEFORE_CHILDREN = [
    ("approve", "2022-12-22"), ("record_wnc_approval", "2023-01-17"),
    ("agree_delivery_plan", "2023-03-30"), ("start_consultation", "2023-04-03"),
    ("agree_trading_contract", "2023-07-14"), ("agree_with_schools", "2023-07-20"),
    ("conclude_consultation", "2023-07-31"), ("agree_transfer_plans", "2023-08-30"),
]
ACSW_PROGRAMME_AFTER_CHILDREN = [("send_eli", "2023-08-31"), ("go_live", "2023-09-01"),
                                 ("close", "2023-10-02")]
