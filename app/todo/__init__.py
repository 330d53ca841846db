"""我的待办: what waits for the signed-in person, gathered from the features' own services."""
