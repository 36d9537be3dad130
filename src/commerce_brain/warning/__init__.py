"""预警监测: early-warning engines that compare each enterprise's and each market's figures with
their own history. Pure and columnar (frames in, frames out); what they find is raised into the
one warnings store of ``followup``. Named ``warning`` because ``warnings`` is the standard
library's."""
