"""egov: an open-source e-government platform (chính quyền điện tử) for Vietnamese provinces."""

__version__ = "0.1.0"
