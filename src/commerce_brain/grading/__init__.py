"""Enterprise grading (亩均效益综合评价, A/B/C/D), the leading and benchmark lists (龙头/标杆企业),
and the competitive allocation of the policy funds (竞争性分配). Pure and columnar: frames in,
frames out; the store, CLI and pages call these functions."""
