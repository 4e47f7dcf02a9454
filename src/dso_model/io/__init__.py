"""Reading sources into the contract and writing outputs safely."""
