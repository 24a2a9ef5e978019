"""svcforge's code generator: front-ends -> IR -> emitters -> writer."""
