"""The Excel export of a survey round: the workbook, its download and its command."""
