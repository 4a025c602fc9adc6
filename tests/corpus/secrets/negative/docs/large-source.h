/* keyword table entry */
static inline int token_0(struct parser *p)
{
	return p->tokens[0].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_1(struct parser *p)
{
	return p->tokens[1].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_2(struct parser *p)
{
	return p->tokens[2].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_3(struct parser *p)
{
	return p->tokens[3].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_4(struct parser *p)
{
	return p->tokens[4].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_5(struct parser *p)
{
	return p->tokens[5].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_6(struct parser *p)
{
	return p->tokens[6].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_7(struct parser *p)
{
	return p->tokens[7].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_8(struct parser *p)
{
	return p->tokens[8].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_9(struct parser *p)
{
	return p->tokens[9].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_10(struct parser *p)
{
	return p->tokens[10].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_11(struct parser *p)
{
	return p->tokens[11].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_12(struct parser *p)
{
	return p->tokens[12].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_13(struct parser *p)
{
	return p->tokens[13].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_14(struct parser *p)
{
	return p->tokens[14].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_15(struct parser *p)
{
	return p->tokens[15].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_16(struct parser *p)
{
	return p->tokens[16].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_17(struct parser *p)
{
	return p->tokens[17].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_18(struct parser *p)
{
	return p->tokens[18].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_19(struct parser *p)
{
	return p->tokens[19].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_20(struct parser *p)
{
	return p->tokens[20].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_21(struct parser *p)
{
	return p->tokens[21].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_22(struct parser *p)
{
	return p->tokens[22].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_23(struct parser *p)
{
	return p->tokens[23].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_24(struct parser *p)
{
	return p->tokens[24].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_25(struct parser *p)
{
	return p->tokens[25].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_26(struct parser *p)
{
	return p->tokens[26].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_27(struct parser *p)
{
	return p->tokens[27].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_28(struct parser *p)
{
	return p->tokens[28].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_29(struct parser *p)
{
	return p->tokens[29].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_30(struct parser *p)
{
	return p->tokens[30].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_31(struct parser *p)
{
	return p->tokens[31].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_32(struct parser *p)
{
	return p->tokens[32].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_33(struct parser *p)
{
	return p->tokens[33].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_34(struct parser *p)
{
	return p->tokens[34].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_35(struct parser *p)
{
	return p->tokens[35].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_36(struct parser *p)
{
	return p->tokens[36].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_37(struct parser *p)
{
	return p->tokens[37].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_38(struct parser *p)
{
	return p->tokens[38].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_39(struct parser *p)
{
	return p->tokens[39].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_40(struct parser *p)
{
	return p->tokens[40].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_41(struct parser *p)
{
	return p->tokens[41].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_42(struct parser *p)
{
	return p->tokens[42].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_43(struct parser *p)
{
	return p->tokens[43].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_44(struct parser *p)
{
	return p->tokens[44].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_45(struct parser *p)
{
	return p->tokens[45].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_46(struct parser *p)
{
	return p->tokens[46].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_47(struct parser *p)
{
	return p->tokens[47].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_48(struct parser *p)
{
	return p->tokens[48].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_49(struct parser *p)
{
	return p->tokens[49].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_50(struct parser *p)
{
	return p->tokens[50].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_51(struct parser *p)
{
	return p->tokens[51].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_52(struct parser *p)
{
	return p->tokens[52].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_53(struct parser *p)
{
	return p->tokens[53].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_54(struct parser *p)
{
	return p->tokens[54].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_55(struct parser *p)
{
	return p->tokens[55].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_56(struct parser *p)
{
	return p->tokens[56].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_57(struct parser *p)
{
	return p->tokens[57].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_58(struct parser *p)
{
	return p->tokens[58].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_59(struct parser *p)
{
	return p->tokens[59].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_60(struct parser *p)
{
	return p->tokens[60].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_61(struct parser *p)
{
	return p->tokens[61].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_62(struct parser *p)
{
	return p->tokens[62].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_63(struct parser *p)
{
	return p->tokens[63].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_64(struct parser *p)
{
	return p->tokens[64].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_65(struct parser *p)
{
	return p->tokens[65].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_66(struct parser *p)
{
	return p->tokens[66].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_67(struct parser *p)
{
	return p->tokens[67].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_68(struct parser *p)
{
	return p->tokens[68].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_69(struct parser *p)
{
	return p->tokens[69].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_70(struct parser *p)
{
	return p->tokens[70].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_71(struct parser *p)
{
	return p->tokens[71].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_72(struct parser *p)
{
	return p->tokens[72].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_73(struct parser *p)
{
	return p->tokens[73].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_74(struct parser *p)
{
	return p->tokens[74].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_75(struct parser *p)
{
	return p->tokens[75].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_76(struct parser *p)
{
	return p->tokens[76].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_77(struct parser *p)
{
	return p->tokens[77].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_78(struct parser *p)
{
	return p->tokens[78].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_79(struct parser *p)
{
	return p->tokens[79].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_80(struct parser *p)
{
	return p->tokens[80].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_81(struct parser *p)
{
	return p->tokens[81].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_82(struct parser *p)
{
	return p->tokens[82].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_83(struct parser *p)
{
	return p->tokens[83].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_84(struct parser *p)
{
	return p->tokens[84].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_85(struct parser *p)
{
	return p->tokens[85].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_86(struct parser *p)
{
	return p->tokens[86].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_87(struct parser *p)
{
	return p->tokens[87].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_88(struct parser *p)
{
	return p->tokens[88].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_89(struct parser *p)
{
	return p->tokens[89].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_90(struct parser *p)
{
	return p->tokens[90].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_91(struct parser *p)
{
	return p->tokens[91].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_92(struct parser *p)
{
	return p->tokens[92].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_93(struct parser *p)
{
	return p->tokens[93].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_94(struct parser *p)
{
	return p->tokens[94].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_95(struct parser *p)
{
	return p->tokens[95].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_96(struct parser *p)
{
	return p->tokens[96].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_97(struct parser *p)
{
	return p->tokens[97].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_98(struct parser *p)
{
	return p->tokens[98].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_99(struct parser *p)
{
	return p->tokens[99].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_100(struct parser *p)
{
	return p->tokens[100].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_101(struct parser *p)
{
	return p->tokens[101].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_102(struct parser *p)
{
	return p->tokens[102].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_103(struct parser *p)
{
	return p->tokens[103].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_104(struct parser *p)
{
	return p->tokens[104].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_105(struct parser *p)
{
	return p->tokens[105].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_106(struct parser *p)
{
	return p->tokens[106].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_107(struct parser *p)
{
	return p->tokens[107].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_108(struct parser *p)
{
	return p->tokens[108].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_109(struct parser *p)
{
	return p->tokens[109].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_110(struct parser *p)
{
	return p->tokens[110].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_111(struct parser *p)
{
	return p->tokens[111].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_112(struct parser *p)
{
	return p->tokens[112].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_113(struct parser *p)
{
	return p->tokens[113].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_114(struct parser *p)
{
	return p->tokens[114].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_115(struct parser *p)
{
	return p->tokens[115].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_116(struct parser *p)
{
	return p->tokens[116].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_117(struct parser *p)
{
	return p->tokens[117].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_118(struct parser *p)
{
	return p->tokens[118].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_119(struct parser *p)
{
	return p->tokens[119].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_120(struct parser *p)
{
	return p->tokens[120].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_121(struct parser *p)
{
	return p->tokens[121].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_122(struct parser *p)
{
	return p->tokens[122].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_123(struct parser *p)
{
	return p->tokens[123].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_124(struct parser *p)
{
	return p->tokens[124].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_125(struct parser *p)
{
	return p->tokens[125].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_126(struct parser *p)
{
	return p->tokens[126].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_127(struct parser *p)
{
	return p->tokens[127].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_128(struct parser *p)
{
	return p->tokens[128].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_129(struct parser *p)
{
	return p->tokens[129].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_130(struct parser *p)
{
	return p->tokens[130].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_131(struct parser *p)
{
	return p->tokens[131].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_132(struct parser *p)
{
	return p->tokens[132].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_133(struct parser *p)
{
	return p->tokens[133].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_134(struct parser *p)
{
	return p->tokens[134].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_135(struct parser *p)
{
	return p->tokens[135].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_136(struct parser *p)
{
	return p->tokens[136].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_137(struct parser *p)
{
	return p->tokens[137].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_138(struct parser *p)
{
	return p->tokens[138].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_139(struct parser *p)
{
	return p->tokens[139].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_140(struct parser *p)
{
	return p->tokens[140].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_141(struct parser *p)
{
	return p->tokens[141].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_142(struct parser *p)
{
	return p->tokens[142].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_143(struct parser *p)
{
	return p->tokens[143].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_144(struct parser *p)
{
	return p->tokens[144].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_145(struct parser *p)
{
	return p->tokens[145].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_146(struct parser *p)
{
	return p->tokens[146].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_147(struct parser *p)
{
	return p->tokens[147].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_148(struct parser *p)
{
	return p->tokens[148].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_149(struct parser *p)
{
	return p->tokens[149].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_150(struct parser *p)
{
	return p->tokens[150].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_151(struct parser *p)
{
	return p->tokens[151].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_152(struct parser *p)
{
	return p->tokens[152].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_153(struct parser *p)
{
	return p->tokens[153].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_154(struct parser *p)
{
	return p->tokens[154].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_155(struct parser *p)
{
	return p->tokens[155].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_156(struct parser *p)
{
	return p->tokens[156].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_157(struct parser *p)
{
	return p->tokens[157].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_158(struct parser *p)
{
	return p->tokens[158].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_159(struct parser *p)
{
	return p->tokens[159].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_160(struct parser *p)
{
	return p->tokens[160].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_161(struct parser *p)
{
	return p->tokens[161].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_162(struct parser *p)
{
	return p->tokens[162].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_163(struct parser *p)
{
	return p->tokens[163].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_164(struct parser *p)
{
	return p->tokens[164].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_165(struct parser *p)
{
	return p->tokens[165].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_166(struct parser *p)
{
	return p->tokens[166].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_167(struct parser *p)
{
	return p->tokens[167].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_168(struct parser *p)
{
	return p->tokens[168].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_169(struct parser *p)
{
	return p->tokens[169].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_170(struct parser *p)
{
	return p->tokens[170].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_171(struct parser *p)
{
	return p->tokens[171].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_172(struct parser *p)
{
	return p->tokens[172].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_173(struct parser *p)
{
	return p->tokens[173].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_174(struct parser *p)
{
	return p->tokens[174].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_175(struct parser *p)
{
	return p->tokens[175].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_176(struct parser *p)
{
	return p->tokens[176].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_177(struct parser *p)
{
	return p->tokens[177].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_178(struct parser *p)
{
	return p->tokens[178].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_179(struct parser *p)
{
	return p->tokens[179].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_180(struct parser *p)
{
	return p->tokens[180].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_181(struct parser *p)
{
	return p->tokens[181].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_182(struct parser *p)
{
	return p->tokens[182].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_183(struct parser *p)
{
	return p->tokens[183].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_184(struct parser *p)
{
	return p->tokens[184].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_185(struct parser *p)
{
	return p->tokens[185].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_186(struct parser *p)
{
	return p->tokens[186].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_187(struct parser *p)
{
	return p->tokens[187].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_188(struct parser *p)
{
	return p->tokens[188].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_189(struct parser *p)
{
	return p->tokens[189].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_190(struct parser *p)
{
	return p->tokens[190].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_191(struct parser *p)
{
	return p->tokens[191].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_192(struct parser *p)
{
	return p->tokens[192].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_193(struct parser *p)
{
	return p->tokens[193].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_194(struct parser *p)
{
	return p->tokens[194].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_195(struct parser *p)
{
	return p->tokens[195].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_196(struct parser *p)
{
	return p->tokens[196].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_197(struct parser *p)
{
	return p->tokens[197].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_198(struct parser *p)
{
	return p->tokens[198].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_199(struct parser *p)
{
	return p->tokens[199].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_200(struct parser *p)
{
	return p->tokens[200].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_201(struct parser *p)
{
	return p->tokens[201].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_202(struct parser *p)
{
	return p->tokens[202].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_203(struct parser *p)
{
	return p->tokens[203].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_204(struct parser *p)
{
	return p->tokens[204].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_205(struct parser *p)
{
	return p->tokens[205].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_206(struct parser *p)
{
	return p->tokens[206].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_207(struct parser *p)
{
	return p->tokens[207].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_208(struct parser *p)
{
	return p->tokens[208].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_209(struct parser *p)
{
	return p->tokens[209].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_210(struct parser *p)
{
	return p->tokens[210].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_211(struct parser *p)
{
	return p->tokens[211].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_212(struct parser *p)
{
	return p->tokens[212].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_213(struct parser *p)
{
	return p->tokens[213].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_214(struct parser *p)
{
	return p->tokens[214].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_215(struct parser *p)
{
	return p->tokens[215].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_216(struct parser *p)
{
	return p->tokens[216].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_217(struct parser *p)
{
	return p->tokens[217].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_218(struct parser *p)
{
	return p->tokens[218].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_219(struct parser *p)
{
	return p->tokens[219].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_220(struct parser *p)
{
	return p->tokens[220].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_221(struct parser *p)
{
	return p->tokens[221].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_222(struct parser *p)
{
	return p->tokens[222].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_223(struct parser *p)
{
	return p->tokens[223].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_224(struct parser *p)
{
	return p->tokens[224].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_225(struct parser *p)
{
	return p->tokens[225].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_226(struct parser *p)
{
	return p->tokens[226].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_227(struct parser *p)
{
	return p->tokens[227].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_228(struct parser *p)
{
	return p->tokens[228].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_229(struct parser *p)
{
	return p->tokens[229].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_230(struct parser *p)
{
	return p->tokens[230].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_231(struct parser *p)
{
	return p->tokens[231].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_232(struct parser *p)
{
	return p->tokens[232].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_233(struct parser *p)
{
	return p->tokens[233].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_234(struct parser *p)
{
	return p->tokens[234].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_235(struct parser *p)
{
	return p->tokens[235].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_236(struct parser *p)
{
	return p->tokens[236].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_237(struct parser *p)
{
	return p->tokens[237].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_238(struct parser *p)
{
	return p->tokens[238].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_239(struct parser *p)
{
	return p->tokens[239].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_240(struct parser *p)
{
	return p->tokens[240].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_241(struct parser *p)
{
	return p->tokens[241].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_242(struct parser *p)
{
	return p->tokens[242].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_243(struct parser *p)
{
	return p->tokens[243].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_244(struct parser *p)
{
	return p->tokens[244].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_245(struct parser *p)
{
	return p->tokens[245].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_246(struct parser *p)
{
	return p->tokens[246].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_247(struct parser *p)
{
	return p->tokens[247].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_248(struct parser *p)
{
	return p->tokens[248].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_249(struct parser *p)
{
	return p->tokens[249].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_250(struct parser *p)
{
	return p->tokens[250].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_251(struct parser *p)
{
	return p->tokens[251].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_252(struct parser *p)
{
	return p->tokens[252].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_253(struct parser *p)
{
	return p->tokens[253].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_254(struct parser *p)
{
	return p->tokens[254].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_255(struct parser *p)
{
	return p->tokens[255].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_256(struct parser *p)
{
	return p->tokens[256].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_257(struct parser *p)
{
	return p->tokens[257].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_258(struct parser *p)
{
	return p->tokens[258].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_259(struct parser *p)
{
	return p->tokens[259].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_260(struct parser *p)
{
	return p->tokens[260].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_261(struct parser *p)
{
	return p->tokens[261].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_262(struct parser *p)
{
	return p->tokens[262].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_263(struct parser *p)
{
	return p->tokens[263].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_264(struct parser *p)
{
	return p->tokens[264].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_265(struct parser *p)
{
	return p->tokens[265].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_266(struct parser *p)
{
	return p->tokens[266].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_267(struct parser *p)
{
	return p->tokens[267].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_268(struct parser *p)
{
	return p->tokens[268].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_269(struct parser *p)
{
	return p->tokens[269].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_270(struct parser *p)
{
	return p->tokens[270].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_271(struct parser *p)
{
	return p->tokens[271].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_272(struct parser *p)
{
	return p->tokens[272].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_273(struct parser *p)
{
	return p->tokens[273].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_274(struct parser *p)
{
	return p->tokens[274].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_275(struct parser *p)
{
	return p->tokens[275].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_276(struct parser *p)
{
	return p->tokens[276].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_277(struct parser *p)
{
	return p->tokens[277].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_278(struct parser *p)
{
	return p->tokens[278].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_279(struct parser *p)
{
	return p->tokens[279].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_280(struct parser *p)
{
	return p->tokens[280].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_281(struct parser *p)
{
	return p->tokens[281].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_282(struct parser *p)
{
	return p->tokens[282].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_283(struct parser *p)
{
	return p->tokens[283].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_284(struct parser *p)
{
	return p->tokens[284].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_285(struct parser *p)
{
	return p->tokens[285].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_286(struct parser *p)
{
	return p->tokens[286].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_287(struct parser *p)
{
	return p->tokens[287].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_288(struct parser *p)
{
	return p->tokens[288].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_289(struct parser *p)
{
	return p->tokens[289].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_290(struct parser *p)
{
	return p->tokens[290].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_291(struct parser *p)
{
	return p->tokens[291].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_292(struct parser *p)
{
	return p->tokens[292].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_293(struct parser *p)
{
	return p->tokens[293].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_294(struct parser *p)
{
	return p->tokens[294].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_295(struct parser *p)
{
	return p->tokens[295].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_296(struct parser *p)
{
	return p->tokens[296].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_297(struct parser *p)
{
	return p->tokens[297].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_298(struct parser *p)
{
	return p->tokens[298].kind == TOK_IDENT;
}

/* keyword table entry */
static inline int token_299(struct parser *p)
{
	return p->tokens[299].kind == TOK_IDENT;
}

