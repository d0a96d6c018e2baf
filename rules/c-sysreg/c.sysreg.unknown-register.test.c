// reviewbot-test: path=arch/arm64/kvm/hyp/nvhe/switch.c
// Cases for c.sysreg.unknown-register, written for reviewbot.
#define my_impdef_el1 s3_0_c15_c2_0
#define read_reg(r) read_sysreg(r)
static void example(u64 val)
{
	// ruleid: c.sysreg.unknown-register
	val = read_sysreg(tpidr_el4);
	// ruleid: c.sysreg.unknown-register
	write_sysreg(val, sctlr_el12x);
	// ruleid: c.sysreg.unknown-register
	sysreg_clear_set(mdcr_el3x, 0, val);
	// ok: c.sysreg.unknown-register
	val = read_sysreg(tpidr_el2);
	// ok: c.sysreg.unknown-register
	write_sysreg(val, vbar_el12);
	// ok: c.sysreg.unknown-register
	val = read_sysreg(tpidr_el3);
	// ok: c.sysreg.unknown-register
	val = read_sysreg(s3_0_c15_c2_0);
	// ok: c.sysreg.unknown-register
	val = read_sysreg(my_impdef_el1);
	// ok: c.sysreg.unknown-register
	val = read_sysreg_s(SYS_NOT_IN_THE_TABLE_EL1);
	// ok: c.sysreg.unknown-register
	val = read_sysreg(icc_foo_el1);
	// ok: c.sysreg.unknown-register
	val = read_sysreg(r);
	// ok: c.sysreg.unknown-register
	val = read_sysreg_el1(SYS_SCTLR);
	// ok: c.sysreg.unknown-register
	write_sysreg(f(a, tpidr_el4x), tcr_el1);
}
