// reviewbot-test: path=arch/arm64/kvm/hyp/vgic-v3-sr.c
// Cases for c.sysreg.write-sysreg-swapped-args, written for reviewbot.
static void example(u64 val, u64 tcr_el1)
{
	// ruleid: c.sysreg.write-sysreg-swapped-args
	write_sysreg_s(SYS_ICC_SRE_EL2, val);
	// ok: c.sysreg.write-sysreg-swapped-args
	write_sysreg_s(val, SYS_ICC_SRE_EL2);
	// ruleid: c.sysreg.write-sysreg-swapped-args
	write_sysreg(vttbr_el2, kvm_get_vttbr(mmu));
	// ok: c.sysreg.write-sysreg-swapped-args
	write_sysreg(kvm_get_vttbr(mmu), vttbr_el2);
	// ok: c.sysreg.write-sysreg-swapped-args
	write_sysreg(tcr_el1, tcr_el1);
	// ok: c.sysreg.write-sysreg-swapped-args
	write_sysreg_el1(val, SYS_SCTLR);
}
