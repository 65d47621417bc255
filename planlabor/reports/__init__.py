"""Reports: Sozialraumprofile, integrated Sozialbericht, committee sheets (HTML, PDF, DOCX)."""
