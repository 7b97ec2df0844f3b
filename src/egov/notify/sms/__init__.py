"""SMS providers behind one interface (see :mod:`egov.notify.sms.base`) and a registry that picks the one
named by ``EGOV_SMS_PROVIDER``."""
