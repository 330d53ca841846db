"""County Portal: the social assistance section of county civil-affairs bureaus."""
