"""The policy library (政策工具箱): every policy document as data, searchable in Chinese."""
