it 'rejects bad passwords' do
  expect(User.new(password: 'short').valid?).to be false
end
