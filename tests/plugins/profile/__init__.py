"""Black-box HTTP tests of the profile plugin (api.md, "Profile plugin")."""
