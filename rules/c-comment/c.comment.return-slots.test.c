// reviewbot-test: path=arch/arm64/kvm/hypercalls.c
// Cases for c.comment.return-slots, written for reviewbot.
int kvm_hvc_call_handler(struct kvm_vcpu *vcpu)
{
	u32 func_id = smccc_get_function(vcpu);
	u64 val[4] = {SMCCC_RET_NOT_SUPPORTED};
	struct timespec64 ts;
	u64 cycles;

	switch (func_id) {
	// ruleid: c.comment.return-slots
	/*
	 * Hand the guest a clock sample.
	 * reg0 stores the upper 32 bits of the host time;
	 * reg1 stores the lower 32 bits of the host time;
	 * reg2 stores the upper 32 bits of the counter;
	 * reg3 stores the lower 32 bits of the counter.
	 */
	case ARM_SMCCC_VENDOR_HYP_KVM_CLOCK_FUNC_ID:
		ktime_get_real_ts64(&ts);
		cycles = arch_timer_read_counter();
		val[0] = timespec64_to_ns(&ts);
		switch (smccc_get_arg1(vcpu)) {
		case KVM_CLOCK_VIRT:
			cycles -= vcpu_read_sys_reg(vcpu, CNTVOFF_EL2);
			break;
		}
		val[1] = cycles;
		break;
	// ok: c.comment.return-slots
	/*
	 * The same sample, split in halves.
	 * reg0 stores the upper 32 bits of the host time;
	 * reg1 stores the lower 32 bits of the host time;
	 * reg2 stores the upper 32 bits of the counter;
	 * reg3 stores the lower 32 bits of the counter.
	 */
	case ARM_SMCCC_VENDOR_HYP_KVM_CLOCK2_FUNC_ID:
		ktime_get_real_ts64(&ts);
		cycles = arch_timer_read_counter();
		val[0] = upper_32_bits(timespec64_to_ns(&ts));
		val[1] = lower_32_bits(timespec64_to_ns(&ts));
		val[2] = upper_32_bits(cycles);
		val[3] = lower_32_bits(cycles);
		break;
	// a helper fills the array: it may set the rest
	// ok: c.comment.return-slots
	/*
	 * reg0: the feature bitmap
	 * reg1: the version
	 * reg2: the revision
	 */
	case ARM_SMCCC_VENDOR_HYP_KVM_INFO_FUNC_ID:
		val[0] = kvm_hyp_features();
		kvm_fill_version(vcpu, val);
		break;
	// a slot only ever set to 0 is padding, nothing to document
	// ok: c.comment.return-slots
	/*
	 * reg0 stores the seconds of the host time;
	 * reg1 stores the nanoseconds of the host time;
	 * reg2 stores the counter.
	 */
	case ARM_SMCCC_VENDOR_HYP_KVM_CLOCK3_FUNC_ID:
		val[0] = ts.tv_sec;
		val[1] = ts.tv_nsec;
		val[2] = cycles;
		val[3] = 0;
		break;
	// ruleid: c.comment.return-slots
	/*
	 * reg0 stores the seconds of the host time;
	 * reg1 stores the nanoseconds of the host time.
	 */
	case ARM_SMCCC_VENDOR_HYP_KVM_CLOCK4_FUNC_ID:
		val[0] = ts.tv_sec;
		val[1] = ts.tv_nsec;
		val[2] = cycles;
		break;
	// one slot is no enumeration
	// ok: c.comment.return-slots
	/*
	 * reg0 stores the call's result.
	 */
	case ARM_SMCCC_VERSION_FUNC_ID:
		val[0] = ARM_SMCCC_VERSION_1_1;
		val[1] = 0;
		break;
	}

	smccc_set_retval(vcpu, val[0], val[1], val[2], val[3]);
	return 1;
}
