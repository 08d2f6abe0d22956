"""The filters, one behaviour each (see render.plan.protocol for their shape, and
render.plan.filter_order for their order). Import from render.plan's lower modules and below."""
