"""Rules from the law and the workflows: guards, the timeline, money at risk, school types."""
