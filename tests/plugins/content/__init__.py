"""Black-box HTTP tests of the content plugin (api.md, "Content plugin")."""
