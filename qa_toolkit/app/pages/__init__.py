"""Page scripts run by st.navigation (each calls one render function)."""
