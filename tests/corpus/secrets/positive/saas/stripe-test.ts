import Stripe from 'stripe';

export const stripe = new Stripe('sk_test_xIJ95eHvOfW64SzxwLXwcXHLst1Jlm3zDIhBgY3owUduCbnIixlY30zxpDlwrAgr4LAhxMgq277cN11eORk8MPXXA8PCdVGMlu3', { apiVersion: '2024-06-20' });
