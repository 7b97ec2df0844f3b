"""Document exchange: the edXML (QCVN 102:2016) codec; later the provincial hub and the national axis."""
