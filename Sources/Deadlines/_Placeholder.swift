// Placeholder until the Deadlines sources land; removed then.
