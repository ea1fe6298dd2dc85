"""Bitbucket Data Center (`bbpr.datacenter`): listing, review data, names as the server
spells them."""
