"""Remote actions sent to a vehicle: the request model, its rules and (later) their effects."""
