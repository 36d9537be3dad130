"""Rules as code: the awards of the Quzhou policies, evaluated over all enterprises at once."""
