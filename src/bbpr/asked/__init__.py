"""What the user asked for: which repositories, filters and people; whether a record matches it.
May import the primitives; `people`, which asks the server who a name is, also `backend`."""
