# Augmenting declarations of pacing_models/predictive.py for the compiled engine (`dialer accel
# build`): the policy a native class, its fields Python objects read from the instance's
# struct (no dictionary look-up at each of the ~100 reads a decision makes); no value changes
# type, so every float is computed as in pure Python. docs/engine.md, "Sixteenth step
# (predictive)".

cdef class PredictivePolicy:
    # Instance attributes besides the fields: tests and benchmarks wrap a method on the
    # instance (tests/simulations/test_amd_pacing_state.py sets policy.decide).
    cdef dict __dict__
    cdef public object _aim
    cdef public object _aim_key
    cdef public object _aim_plan
    cdef public object _amd_abandons
    cdef public object _answer_to_agents
    cdef public object _answers
    cdef public object _attempts_since_ring
    cdef public object _busy
    cdef public object _busy_live
    cdef public object _cold_start_at
    cdef public object _compact
    cdef public object _expected
    cdef public object _fresh
    cdef public object _key
    cdef public object _last
    cdef public object _laws
    cdef public object _log_threshold
    cdef public object _machine_parts
    cdef public object _model_abandons
    cdef public object _model_live
    cdef public object _period_budget
    cdef public object _person_share
    cdef public object _realised
    cdef public object _release
    cdef public object _ring
    cdef public object _talk_q90
    cdef public object _tuned_at
    cdef public object _verdict
    cdef public object _wrap
    cdef public object amd_margin_z
    cdef public object batch_guard_z
    cdef public object bias_pseudo_abandons
    cdef public object budget
    cdef public object hang_up_after
    cdef public object machine_handle
    cdef public object max_calls_per_decision
    cdef public object max_lines_per_agent
    cdef public object min_handles
    cdef public object min_live_answers
    cdef public object outcomes
    cdef public object patience_mean
    cdef public object period_answers_share
    cdef public object period_reserve_abandons
    cdef public object prior_bias
    cdef public object ramp_handles
    cdef public object ring_refresh_attempts
    cdef public object ring_times
    cdef public object state_thresholds
    cdef public object talk
    cdef public object threshold_rate
    cdef public object verdict_delays
    cdef public object wrap
    cdef public object young_risk
    cdef public object young_threshold
