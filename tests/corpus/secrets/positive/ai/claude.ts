import Anthropic from '@anthropic-ai/sdk';

const anthropic = new Anthropic({
  apiKey: 'sk-ant-api03-Ch8jKAXX-aR5xtYA5iThxlDcDYexis7YEcrj7ZbEKVvl8yWDMuelvywBuPo-3hUvuDDoCn6Creks2ZLg5DmrtDCCPrQRmAA',
});
