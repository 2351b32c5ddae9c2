"""Operations: the scheduler, the retention rule and the demo data."""
