"""Reader study logic without Qt: the questionnaire, scoring sessions, importing cases."""
